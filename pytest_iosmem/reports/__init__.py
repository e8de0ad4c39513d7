"""Reports of a run: terminal summary, JSON, Markdown, HTML. Each reads result dicts."""
