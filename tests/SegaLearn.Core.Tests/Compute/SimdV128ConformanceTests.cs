using SegaLearn.Compute;

namespace SegaLearn.Core.Tests.Compute;

/// <summary>Conformance of SimdBackend forced to Vector128.</summary>
public sealed class SimdV128ConformanceTests : BackendConformanceTests
{
    private static readonly IComputeBackend? Backend = new SimdBackend(threads: 2, VectorWidth.V128);

    protected override IComputeBackend? CreateBackend() => Backend;
}
