"""The room lifecycle's function code (LCY-1): shipped as the freeze function's asset as-is."""
