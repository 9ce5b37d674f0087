import RehearseCLI
Rehearse.main()
