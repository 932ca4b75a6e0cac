from labelview.cli import main

raise SystemExit(main())
