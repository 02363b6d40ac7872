using SegaLearn.Compute;

namespace SegaLearn.Core.Tests.Compute;

/// <summary>Conformance of SimdBackend forced to scalar code.</summary>
public sealed class SimdScalarConformanceTests : BackendConformanceTests
{
    private static readonly IComputeBackend? Backend = new SimdBackend(threads: 2, VectorWidth.Scalar);

    protected override IComputeBackend? CreateBackend() => Backend;
}
