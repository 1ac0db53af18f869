#!/usr/bin/env python3
"""The CDK app: builds every stack of the manifest named by the ``manifest`` context value."""

from dataroom.application import main

if __name__ == "__main__":
    main()
