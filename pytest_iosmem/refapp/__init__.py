"""The bundled reference app: plays the iOS app when there is no Mac and no iPhone.

A real process with a few screens and an accessibility tree, serving the part
of WebDriverAgent's HTTP protocol that facebook-wda uses, so UI tests written
for an iPhone drive it unchanged.  Its screens reproduce, with real touched
memory of a known size per visit, the leaks iOS apps really have.  Start it
with ``python -m pytest_iosmem.refapp`` (or ``iosmem refapp``); see docs/refapp.md.

Modules, one job each: :mod:`.memory` (real buffers, the live-object table),
:mod:`.model` (screens, leaks, memory warnings), :mod:`.ui` (accessibility
tree, WDA-like XML), :mod:`.predicate` (the NSPredicate subset),
:mod:`.query` (class chains, XPath, locator strategies), :mod:`.routes`
(the WDA commands), :mod:`.server` (HTTP plumbing), :mod:`.__main__`
(command line, signals).
"""
