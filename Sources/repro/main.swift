import ReproCLI

ReproCommand.main()
