from dtu_audio.cli.main import main

main()
