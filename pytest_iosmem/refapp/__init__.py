"""The bundled reference app: plays the iOS app when there is no Mac and no iPhone.

A real process with a few screens and an accessibility tree, serving the part
of WebDriverAgent's HTTP protocol that facebook-wda uses, so UI tests written
for an iPhone drive it unchanged.  Its screens reproduce, with real touched
memory of a known size per visit, the leaks iOS apps really have.  Start it
with ``python -m pytest_iosmem.refapp`` (or ``iosmem refapp``); see docs/refapp.md.

Modules: :mod:`.memory` (real buffers, live-object table), :mod:`.model`
(screens, leaks, memory warnings), :mod:`.ui` (accessibility tree, WDA-like
XML), :mod:`.query` (class chain / predicate matching), :mod:`.server`
(the WDA HTTP routes), :mod:`.__main__` (command line, signals).
"""
