from baosong.cli import main

raise SystemExit(main())
