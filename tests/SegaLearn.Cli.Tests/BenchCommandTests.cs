using System.Text.Json;

namespace SegaLearn.Cli.Tests;

public sealed class BenchCommandTests
{
    private static JsonElement Result(SegaLearnProcess.Result run)
    {
        Assert.Equal(0, run.ExitCode);
        var line = run.Output.Split('\n').Single(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
        return JsonDocument.Parse(line["RESULT ".Length..]).RootElement;
    }

    [Fact]
    public void Bench_tiny_should_print_the_yardstick_fields_when_run()
    {
        using var dir = new TempDirectory();
        var result = Result(SegaLearnProcess.Run(dir.Path, "bench", "tiny", "--warm", "1", "--threads", "2"));
        foreach (var field in new[] { "train_s_cold", "train_s_warm_median", "s_per_epoch", "samples_per_s", "train_accuracy", "peak_rss_mb" })
        {
            Assert.True(result.GetProperty(field).GetDouble() >= 0, field);
        }

        Assert.Equal("tiny", result.GetProperty("workload").GetString());
        Assert.Equal(2, result.GetProperty("threads").GetInt32());
    }

    [Fact]
    public void Bench_gemm_should_report_gflops_for_the_given_size_and_backend()
    {
        using var dir = new TempDirectory();
        var result = Result(SegaLearnProcess.Run(dir.Path, "bench", "gemm", "--size", "64", "--reps", "1", "--backend", "reference"));
        Assert.Equal(64, result.GetProperty("n").GetInt32());
        Assert.True(result.GetProperty("gflops").GetDouble() > 0);
        Assert.Equal("segalearn-reference", result.GetProperty("system").GetString());
    }

    [Fact]
    public void Bench_should_fail_with_one_line_when_the_workload_is_unknown()
    {
        using var dir = new TempDirectory();
        var result = SegaLearnProcess.Run(dir.Path, "bench", "huge");
        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.ErrorLines);
    }
}
