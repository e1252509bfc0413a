from knowvember.cli import main

main()
