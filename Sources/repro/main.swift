import Numerics
import ReproCLI

// First of all, so that SIGINT/SIGTERM at any moment end repro with a message and 128 + the
// signal, never silently (issue #26).
installSignalHandling()
// Before any work: make OpenBLAS use the CPU's vector kernels if it did not recognise the CPU.
OpenBLASCore.reexecIfNeeded()
// Before any thread is started, so that the threads repro starts inherit it as well.
FloatEnvironment.flushSubnormals()
ReproCommand.main()
