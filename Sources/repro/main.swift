import Numerics
import ReproCLI

// Before any work: make OpenBLAS use the CPU's vector kernels if it did not recognise the CPU.
OpenBLASCore.reexecIfNeeded()
ReproCommand.main()
