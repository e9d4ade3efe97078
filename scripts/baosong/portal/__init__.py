"""The intranet portal: page providers produce Markdown/HTML pages and data files from the register
(generator-neutral); `mkdocs_adapter` is the only MkDocs-specific module. See FORMAT.md, "Portal"."""
