"""cardgen studio: a local web editor for one campaign file, with a live preview.

`cardgen studio FILE` serves a page on 127.0.0.1 (see `server`) whose form edits the YAML
document (see `document`, which keeps the file's comments and formatting when it saves),
shows every problem from the same checker beside its field, and previews the card with the
same renderer that prints, through the public API (`cardgen.check`, `cardgen.preview`,
`cardgen.build`). Nothing here is imported until the command starts: the web framework is
loaded only by `cardgen studio`.
"""
