"""One module per subcommand; see baosong.cli.COMMAND_MODULES."""
