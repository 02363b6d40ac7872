using SegaLearn.Compute;

namespace SegaLearn.Core.Tests.Compute;

/// <summary>Conformance of SimdBackend (auto width, all cores).</summary>
public sealed class SimdAutoConformanceTests : BackendConformanceTests
{
    private static readonly IComputeBackend? Backend = new SimdBackend();

    protected override IComputeBackend? CreateBackend() => Backend;
}
