using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using SegaLearn.Compute;

namespace SegaLearn.Cli.Tests;

[CollectionDefinition(nameof(DistributedTrainingTests), DisableParallelization = true)]
public sealed class DistributedTrainingCollection;

/// <summary>
/// The determinism and crash promises through the real command: the same model file, byte for byte, in one process,
/// on in-process worker actors and on worker processes, with or without a worker killed mid-epoch.
/// </summary>
[Collection(nameof(DistributedTrainingTests))]
public sealed class DistributedTrainingTests
{
    // 1438 training rows in batches of 100 leave a short last batch of 38; microbatches of 16 cut 100 into 7
    // (6 of 16 and one of 4), which 2 and 3 workers share unevenly.
    private static readonly string[] Run = ["train", "--epochs", "3", "--batch-size", "100", "--microbatch", "16", "--layers", "64,32,10", "--backend", "reference"];

    [Theory]
    [InlineData("bfloat16")]
    [InlineData("float32")]
    public void Train_should_write_the_same_model_bytes_for_one_process_in_process_workers_and_worker_processes(string wire)
    {
        using var dir = new TempDirectory();
        var expected = Train(dir, "single.safetensors", "--wire", wire);
        foreach (var (name, options) in new[]
                 {
                     ("w1", new[] { "--workers", "1" }),
                     ("w2", ["--workers", "2"]),
                     ("w3", ["--workers", "3"]),
                     ("p2", ["--worker-processes", "2"]),
                 })
        {
            Assert.Equal(expected, Train(dir, $"{name}.safetensors", [.. options, "--wire", wire]));
        }
    }

    /// <summary>
    /// Worker processes without shared memory, as on other machines: every tensor goes over TCP in bfloat16, in the star
    /// (gradients to the coordinator, parameters to each worker), under peer reduction (pieces, shard sums, relayed
    /// chunks), and switching between the two every few steps as the coordinator times them.
    /// </summary>
    [Theory]
    [InlineData("star")]
    [InlineData("peer")]
    [InlineData("timed")]
    public void Train_should_write_the_single_process_bytes_when_bfloat16_tensors_all_travel_over_tcp(string topology)
    {
        using var dir = new TempDirectory();
        var expected = Train(dir, "single.safetensors");
        string[] settings = topology switch
        {
            "star" => ["SegaLearn__Coordinator__PeerReduction=false"],
            "peer" => ["SegaLearn__Coordinator__TimedTopologyMaxWorkers=0"],
            _ => ["SegaLearn__Coordinator__TopologyProbeSteps=1", "SegaLearn__Coordinator__TopologySettleSteps=2"],
        };
        var result = SegaLearnProcess.Run(
            dir.Path, null, ["env", "SegaLearn__Worker__SharedMemory=false", .. settings], [.. Run, "--worker-processes", "2", "--out", "tcp.safetensors", "--metrics", "m.jsonl", "--metrics-steps"]);
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal(expected, SHA256.HashData(File.ReadAllBytes(dir.File("tcp.safetensors"))));

        // 2410 parameters, 4820 bytes in bfloat16: under peer reduction one version out and one gradient in a step; in the
        // star a version to each worker and a gradient per block back, which only TCP counts as bytes of the step.
        var summary = Regex.Match(result.Output, @"steps: (\d+),.*bytes/step (\d+);.*peer reduction in (\d+) of them");
        Assert.True(summary.Success, result.Output);
        var (steps, bytes, peerSteps) = (Number(summary, 1), Number(summary, 2), Number(summary, 3));
        var stepLines = File.ReadLines(dir.File("m.jsonl")).Select(line => JsonDocument.Parse(line).RootElement).Where(e => e.TryGetProperty("kind", out var kind) && kind.GetString() == "step").ToList();
        Assert.Equal(steps, stepLines.Count);
        Assert.Equal(peerSteps, stepLines.Count(e => e.GetProperty("peer_reduced").GetBoolean()));
        switch (topology)
        {
            case "star":
                Assert.True(bytes > 4 * 4820 && peerSteps == 0, summary.Value);
                break;
            case "peer":
                Assert.True(bytes == 2 * 4820 && peerSteps == steps, summary.Value);
                break;
            default:
                Assert.True(peerSteps > 0 && peerSteps < steps, summary.Value);
                break;
        }
    }

    [Fact]
    public void Train_should_exit_2_naming_the_setting_and_write_nothing_when_a_topology_setting_is_out_of_range()
    {
        using var dir = new TempDirectory();
        var result = SegaLearnProcess.Run(dir.Path, null, ["env", "SegaLearn__Coordinator__TopologyProbeSteps=0"], [.. Run, "--worker-processes", "2", "--out", "m.safetensors"]);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: SegaLearn__Coordinator__TopologyProbeSteps must be at least 1, got 0", Assert.Single(result.ErrorLines));
        Assert.False(File.Exists(dir.File("m.safetensors")));
    }

    private static int Number(Match match, int group) => int.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture);

    [Fact]
    public void Train_should_round_to_bfloat16_by_default_and_write_other_bytes_than_float32()
    {
        using var dir = new TempDirectory();
        var byDefault = Train(dir, "default.safetensors");
        Assert.Equal(byDefault, Train(dir, "bf16.safetensors", "--wire", "bf16"));
        Assert.NotEqual(byDefault, Train(dir, "fp32.safetensors", "--wire", "float32"));
    }

    [Fact]
    public void Train_should_finish_on_the_survivor_with_the_same_model_bytes_when_a_worker_process_is_killed()
    {
        using var dir = new TempDirectory();
        string[] longer = ["train", "--epochs", "30", "--batch-size", "64", "--microbatch", "16", "--layers", "64,64,10", "--backend", "reference"];
        var expected = Sha256(dir, longer, "single.safetensors");

        int? victim = null;
        var killed = false;
        var result = SegaLearnProcess.Run(dir.Path, (line, _) =>
        {
            if (line.StartsWith("worker processes: ", StringComparison.Ordinal))
            {
                victim = int.Parse(line["worker processes: ".Length..].Split(',')[0], CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("Epoch 3/", StringComparison.Ordinal) && victim is { } pid)
            {
                using var worker = Process.GetProcessById(pid);
                worker.Kill();
                killed = true;
            }
        }, [.. longer, "--worker-processes", "2", "--out", "crashed.safetensors"]);

        Assert.True(killed, result.Output);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("lost", result.Error, StringComparison.Ordinal);
        Assert.Contains("Epoch 30/30", result.Output, StringComparison.Ordinal);
        Assert.Equal(expected, SHA256.HashData(File.ReadAllBytes(dir.File("crashed.safetensors"))));
    }

    [Fact]
    public void Train_should_resume_a_killed_coordinators_run_from_its_checkpoint_to_the_same_model_bytes()
    {
        using var dir = new TempDirectory();
        string[] run = ["train", "--epochs", "16", "--batch-size", "64", "--microbatch", "16", "--layers", "64,32,10", "--backend", "reference", "--worker-processes", "2", "--checkpoint-every", "15"];
        var expected = Sha256(dir, run[..^4], "single.safetensors");

        var killed = SegaLearnProcess.Run(dir.Path, (line, coordinator) =>
        {
            if (line.StartsWith("Epoch 4/", StringComparison.Ordinal))
            {
                coordinator.Kill();
            }
        }, [.. run, "--checkpoint-dir", "checkpoints", "--out", "resumed.safetensors"]);
        Assert.NotEqual(0, killed.ExitCode);
        Assert.False(File.Exists(dir.File("resumed.safetensors")));
        Assert.True(File.Exists(Path.Combine(dir.Path, "checkpoints", "checkpoint.safetensors")));

        var resumed = SegaLearnProcess.Run(dir.Path, [.. run, "--resume", "checkpoints", "--out", "resumed.safetensors"]);
        Assert.True(resumed.ExitCode == 0, resumed.Error);
        Assert.Contains("resumed from", resumed.Output, StringComparison.Ordinal);
        Assert.Equal(expected, SHA256.HashData(File.ReadAllBytes(dir.File("resumed.safetensors"))));
    }

    [Fact]
    public async Task Coordinator_and_worker_commands_should_train_on_the_jobs_backend_to_the_single_process_bytes()
    {
        using var dir = new TempDirectory();
        var expected = Train(dir, "single.safetensors");
        var port = FreePort.Next();

        var worker = Task.Run(() => SegaLearnProcess.Run(dir.Path, "worker", "--join", $"127.0.0.1:{port}", "--name", "remote", "--threads", "1"));
        string[] coordinator = ["coordinator", .. Run[1..], "--port", port.ToString(CultureInfo.InvariantCulture), "--min-workers", "1", "--out", "cluster.safetensors"];
        var result = SegaLearnProcess.Run(dir.Path, coordinator);

        Assert.True(result.ExitCode == 0, result.Error);
        var workerResult = await worker;
        Assert.Equal(0, workerResult.ExitCode);
        Assert.Contains("finished", workerResult.Output, StringComparison.Ordinal);
        Assert.Equal(expected, SHA256.HashData(File.ReadAllBytes(dir.File("cluster.safetensors"))));
    }

    [SkippableFact]
    public async Task Coordinator_should_end_with_the_single_process_bytes_when_one_of_two_worker_processes_computes_on_Vector128()
    {
        Skip.IfNot(SimdBackend.SupportsV256, "this test starts a worker on the Vector128 path (DOTNET_EnableAVX2=0) beside one on the machine's default Vector256 or Vector512 path, which needs AVX2");
        using var dir = new TempDirectory();
        string[] options = ["--epochs", "3", "--batch-size", "100", "--microbatch", "16", "--layers", "64,32,10"];
        var single = SegaLearnProcess.Run(dir.Path, ["train", .. options, "--out", "single.safetensors"]);
        Assert.True(single.ExitCode == 0, single.Error);
        var port = FreePort.Next();

        var join = $"127.0.0.1:{port}";
        var coordinator = Task.Run(() => SegaLearnProcess.Run(
            dir.Path, ["coordinator", .. options, "--port", port.ToString(CultureInfo.InvariantCulture), "--min-workers", "2", "--out", "cluster.safetensors"]));
        var narrow = Task.Run(() => SegaLearnProcess.Run(dir.Path, null, ["env", "DOTNET_EnableAVX2=0"], "worker", "--join", join, "--name", "no-avx2", "--threads", "1"));
        var wide = Task.Run(() => SegaLearnProcess.Run(dir.Path, "worker", "--join", join, "--name", "wide", "--threads", "1"));
        var result = await coordinator;
        var (narrowResult, wideResult) = (await narrow, await wide);

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.True(narrowResult.ExitCode == 0, narrowResult.Error);
        Assert.True(wideResult.ExitCode == 0, wideResult.Error);
        Assert.Contains("finished", narrowResult.Output, StringComparison.Ordinal);
        Assert.Contains("finished", wideResult.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("refused", result.Output + result.Error, StringComparison.Ordinal);
        Assert.Equal(SHA256.HashData(File.ReadAllBytes(dir.File("single.safetensors"))), SHA256.HashData(File.ReadAllBytes(dir.File("cluster.safetensors"))));
    }

    [Fact]
    public void Train_should_fail_with_one_line_and_no_model_when_every_worker_process_is_killed()
    {
        using var dir = new TempDirectory();
        int[] workers = [];
        var result = SegaLearnProcess.Run(dir.Path, (line, _) =>
        {
            if (line.StartsWith("worker processes: ", StringComparison.Ordinal))
            {
                workers = line["worker processes: ".Length..].Split(", ").Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
            }
            else if (line.StartsWith("Epoch 2/", StringComparison.Ordinal))
            {
                foreach (var pid in workers)
                {
                    using var worker = Process.GetProcessById(pid);
                    worker.Kill();
                }
            }
        }, ["train", "--epochs", "300", "--patience", "0", "--batch-size", "64", "--layers", "64,64,10", "--worker-processes", "2", "--out", "never.safetensors"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: all 2 worker processes exited before training finished", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("never.safetensors")));
    }

    private static byte[] Train(TempDirectory dir, string output, params string[] options) => Sha256(dir, [.. Run, .. options], output);

    private static byte[] Sha256(TempDirectory dir, string[] args, string output)
    {
        var result = SegaLearnProcess.Run(dir.Path, [.. args, "--out", output]);
        Assert.True(result.ExitCode == 0, result.Error);
        return SHA256.HashData(File.ReadAllBytes(dir.File(output)));
    }
}
