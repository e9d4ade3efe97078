"""The intranet portal: page providers produce Markdown/HTML pages and data files from the register
(generator-neutral); `mkdocs_adapter` is the only module that calls MkDocs and `material` the only one that
knows its theme. See FORMAT.md, "Portal"."""
