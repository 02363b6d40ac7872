using SegaLearn.Compute;

namespace SegaLearn.Core.Tests.Compute;

public sealed class BackendSelectionTests
{
    [Fact]
    public void Create_should_build_a_simd_backend_with_the_given_threads_when_asked_for_simd()
    {
        var backend = Assert.IsType<SimdBackend>(Backends.Create("SIMD", threads: 3));
        Assert.Equal(3, backend.Threads);
        Assert.Equal("simd", backend.Name);
        Assert.NotEqual(VectorWidth.Auto, backend.Width);
        Assert.Contains("3 threads", backend.Describe(), StringComparison.Ordinal);
        Assert.Contains("simd", Backends.Names);
        Assert.Contains("reference", Backends.Names);
    }

    [Fact]
    public void Simd_backend_should_use_all_processors_when_no_thread_count_is_given()
    {
        Assert.Equal(Environment.ProcessorCount, new SimdBackend().Threads);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SimdBackend(threads: 0));
    }

    [Fact]
    public void Scalar_width_should_be_described_when_forced()
    {
        Assert.Contains("scalar", new SimdBackend(1, VectorWidth.Scalar).Describe(), StringComparison.Ordinal);
    }
}
