using SegaLearn.Compute;

namespace SegaLearn.Core.Tests.Compute;

/// <summary>Conformance of SimdBackend forced to Vector256 (AVX2 + FMA), when the machine has it.</summary>
public sealed class SimdV256ConformanceTests : BackendConformanceTests
{
    private static readonly IComputeBackend? Backend = SimdBackend.SupportsV256 ? new SimdBackend(threads: 2, VectorWidth.V256) : null;

    protected override IComputeBackend? CreateBackend() => Backend;

    [Fact]
    public void LinearForward_should_reject_a_row_order_that_is_not_a_permutation()
    {
        var backend = new SimdBackend(threads: 1);
        var (x, w, bias, z, output) = (new float[12], new float[12], new float[4], new float[12], new float[12]);
        foreach (var order in new[] { new[] { 0, 1 }, [0, 1, 1], [0, 3, 1] })
        {
            Assert.Throws<ArgumentException>(() => backend.LinearForward(3, 4, 4, x, w, bias, z, output, Activation.ReLU, order));
        }
    }
}
