import Numerics
import ReproCLI

// Before any work: make OpenBLAS use the CPU's vector kernels if it did not recognise the CPU.
OpenBLASCore.reexecIfNeeded()
// Before any thread is started, so that the threads repro starts inherit it as well.
FloatEnvironment.flushSubnormals()
ReproCommand.main()
