using SegaLearn.Compute;

namespace SegaLearn.Core.Tests.Compute;

/// <summary>Conformance of SimdBackend forced to Vector256 (AVX2 + FMA), when the machine has it.</summary>
public sealed class SimdV256ConformanceTests : BackendConformanceTests
{
    private static readonly IComputeBackend? Backend = SimdBackend.SupportsV256 ? new SimdBackend(threads: 2, VectorWidth.V256) : null;

    protected override IComputeBackend? CreateBackend() => Backend;
}
