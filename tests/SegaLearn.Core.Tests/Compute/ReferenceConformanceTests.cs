using SegaLearn.Compute;

namespace SegaLearn.Core.Tests.Compute;

/// <summary>The oracle against itself, which checks the tests and their tolerances.</summary>
public sealed class ReferenceConformanceTests : BackendConformanceTests
{
    protected override IComputeBackend? CreateBackend() => new ReferenceBackend();
}
