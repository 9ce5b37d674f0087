import RehearseCLI

Rehearse.mainExit()
