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
    public void Bench_dist_should_report_every_alternating_run_and_identical_parameters_when_repeated()
    {
        using var dir = new TempDirectory();
        var random = new Random(3);
        void WriteIdx(string name, int magic, int[] sizes, int count)
        {
            var header = new byte[4 + 4 * sizes.Length];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header, magic);
            for (var i = 0; i < sizes.Length; i++)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), sizes[i]);
            }

            var body = new byte[count];
            random.NextBytes(body);
            if (magic == 0x801)
            {
                for (var i = 0; i < body.Length; i++)
                {
                    body[i] %= 10;
                }
            }

            File.WriteAllBytes(Path.Combine(dir.Path, name), [.. header, .. body]);
        }

        WriteIdx("train-images-idx3-ubyte", 0x803, [300, 28, 28], 300 * 784);
        WriteIdx("train-labels-idx1-ubyte", 0x801, [300], 300);
        WriteIdx("t10k-images-idx3-ubyte", 0x803, [50, 28, 28], 50 * 784);
        WriteIdx("t10k-labels-idx1-ubyte", 0x801, [50], 50);

        // One epoch: the step split must come from all of its steps (a single epoch has no warm-up to drop).
        var result = Result(SegaLearnProcess.Run(
            dir.Path, "bench", "dist", "--data", dir.Path, "--worker-processes", "2", "--epochs", "1", "--reps", "2", "--threads", "1"));
        Assert.Equal(2, result.GetProperty("repeats").GetInt32());
        Assert.Equal(2, result.GetProperty("samples_per_s_runs").GetArrayLength());
        Assert.Equal(2, result.GetProperty("samples_per_s_world1_runs").GetArrayLength());
        Assert.True(result.GetProperty("params_identical_world1").GetBoolean());
        Assert.True(result.GetProperty("step_ms").GetDouble() > 0);
        Assert.True(result.GetProperty("efficiency").GetDouble() > 0);
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
