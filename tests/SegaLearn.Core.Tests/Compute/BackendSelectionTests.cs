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

    [SkippableFact]
    public void Zen4_detection_should_agree_with_proc_cpuinfo_when_on_linux()
    {
        Skip.IfNot(File.Exists("/proc/cpuinfo"), "no /proc/cpuinfo on this platform to read the vendor and family from");
        var fields = File.ReadLines("/proc/cpuinfo").TakeWhile(line => line.Length > 0).Select(line => line.Split(':', 2)).Where(pair => pair.Length == 2)
            .ToDictionary(pair => pair[0].Trim(), pair => pair[1].Trim());
        Skip.IfNot(fields.ContainsKey("vendor_id") && fields.ContainsKey("cpu family"), "/proc/cpuinfo names no x86 vendor and family here");
        var zen4 = fields["vendor_id"] == "AuthenticAMD" && fields["cpu family"] == "25";
        Assert.Equal(zen4, SimdBackend.HalvesVector512);
    }

    [Fact]
    public void Dense_panels_should_be_taken_only_on_the_vector512_path_of_a_full_width_cpu()
    {
        foreach (var width in new[] { VectorWidth.V256, VectorWidth.V128, VectorWidth.Scalar })
        {
            if (width != VectorWidth.V256 || SimdBackend.SupportsV256)
            {
                using var narrow = new SimdBackend(1, width);
                Assert.False(narrow.DensePanels, $"{width}");
            }
        }

        if (SimdBackend.SupportsV512)
        {
            using var wide = new SimdBackend(1, VectorWidth.V512);
            Assert.Equal(!SimdBackend.HalvesVector512, wide.DensePanels);
        }
    }
}
