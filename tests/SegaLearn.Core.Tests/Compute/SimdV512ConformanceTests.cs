using SegaLearn.Compute;

namespace SegaLearn.Core.Tests.Compute;

/// <summary>Conformance of SimdBackend forced to Vector512 (AVX-512F), when the machine has it.</summary>
public sealed class SimdV512ConformanceTests : BackendConformanceTests
{
    private static readonly IComputeBackend? Backend = SimdBackend.SupportsV512 ? new SimdBackend(threads: 2, VectorWidth.V512) : null;

    protected override IComputeBackend? CreateBackend() => Backend;
}
