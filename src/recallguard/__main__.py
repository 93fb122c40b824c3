from recallguard.cli.main import main

main()
