using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;

namespace SegaLearn.Cli.Tests;

/// <summary>
/// The coordinator and its workers on simulated machines (<see cref="SimulatedHosts"/>): nothing but the network joins
/// them, so no worker can use the coordinator's shared memory or /proc, and the model must still be the bytes of one
/// process, also after a worker's machine loses its process to kill -9.
/// </summary>
[Collection(nameof(DistributedTrainingTests))]
public sealed class MultiHostTrainingTests
{
    private const int Port = 4053;

    private static readonly string[] Options = ["--epochs", "3", "--batch-size", "100", "--microbatch", "16", "--layers", "64,32,10", "--backend", "reference"];

    private static readonly string[] LongerOptions = ["--epochs", "30", "--batch-size", "64", "--microbatch", "16", "--layers", "64,64,10", "--backend", "reference"];

    /// <summary>
    /// Three workers run with TLS on every connection (remoting, data plane, peer relays) and float32 on the wire, two in
    /// clear with the default bfloat16.
    /// </summary>
    [SkippableTheory]
    [InlineData(2, false, "bfloat16")]
    [InlineData(3, true, "float32")]
    public async Task Coordinator_should_write_the_single_process_model_bytes_when_its_workers_are_on_other_hosts(int workers, bool tls, string wire)
    {
        Skip.If(SimulatedHosts.Unavailable is not null, SimulatedHosts.Unavailable);
        using var dir = new TempDirectory();
        string[] options = [.. Options, "--wire", wire];
        var expected = SingleProcess(dir, options);
        string[] security = ["--insecure"];
        if (tls)
        {
            Assert.Equal(0, SegaLearnProcess.Run(dir.Path, "cert", "--out", "cluster.pfx").ExitCode);
            security = ["--tls", dir.File("cluster.pfx")];
        }

        using var hosts = new SimulatedHosts(workers + 1, "1gbit");

        var started = Workers(hosts, dir, workers, null, security);
        var coordinator = hosts.Run(0, dir.Path, null, [.. Coordinator(workers, options, "cluster.safetensors"), .. security]);

        Assert.True(coordinator.ExitCode == 0, coordinator.Error);
        foreach (var worker in await Task.WhenAll(started))
        {
            Assert.True(worker.ExitCode == 0, worker.Error);
            Assert.Contains("finished", worker.Output, StringComparison.Ordinal);
        }

        Assert.Equal(expected, SHA256.HashData(File.ReadAllBytes(dir.File("cluster.safetensors"))));
    }

    [SkippableFact]
    public async Task Coordinator_should_write_the_single_process_model_bytes_when_a_worker_hosts_process_is_killed_mid_training()
    {
        Skip.If(SimulatedHosts.Unavailable is not null, SimulatedHosts.Unavailable);
        using var dir = new TempDirectory();
        var expected = SingleProcess(dir, LongerOptions);
        using var hosts = new SimulatedHosts(4, "1gbit");

        var launchers = new Process?[4];
        var started = Workers(hosts, dir, 3, launchers, ["--insecure"]);
        var killed = false;
        var coordinator = hosts.Run(0, dir.Path, (line, _) =>
        {
            if (line.StartsWith("Epoch 3/", StringComparison.Ordinal) && launchers[2] is { } victim)
            {
                victim.Kill();
                killed = true;
            }
        }, [.. Coordinator(3, LongerOptions, "crashed.safetensors"), "--insecure"]);

        Assert.True(killed, coordinator.Output);
        Assert.True(coordinator.ExitCode == 0, coordinator.Error);
        Assert.Contains("Epoch 30/30", coordinator.Output, StringComparison.Ordinal);
        var results = await Task.WhenAll(started);
        Assert.NotEqual(0, results[1].ExitCode);
        Assert.All(new[] { results[0], results[2] }, worker => Assert.True(worker.ExitCode == 0, worker.Error));
        Assert.Equal(expected, SHA256.HashData(File.ReadAllBytes(dir.File("crashed.safetensors"))));
    }

    private static byte[] SingleProcess(TempDirectory dir, string[] options)
    {
        var single = SegaLearnProcess.Run(dir.Path, ["train", .. options, "--out", "single.safetensors"]);
        Assert.True(single.ExitCode == 0, single.Error);
        return SHA256.HashData(File.ReadAllBytes(dir.File("single.safetensors")));
    }

    private static string[] Coordinator(int workers, string[] options, string output) =>
    [
        "coordinator", .. options, "--host", SimulatedHosts.Address(0), "--port", Port.ToString(CultureInfo.InvariantCulture),
        "--min-workers", workers.ToString(CultureInfo.InvariantCulture), "--out", output,
    ];

    /// <summary>
    /// Starts a worker on each of hosts 1..<paramref name="count"/> with <paramref name="security"/> (<c>--tls</c> or
    /// <c>--insecure</c>); its launcher lands in <paramref name="launchers"/>[host] with its first line.
    /// </summary>
    private static Task<SegaLearnProcess.Result>[] Workers(SimulatedHosts hosts, TempDirectory dir, int count, Process?[]? launchers, string[] security) =>
        Enumerable.Range(1, count).Select(host => Task.Run(() => hosts.Run(host, dir.Path, (_, process) =>
        {
            if (launchers is not null)
            {
                launchers[host] = process;
            }
        }, ["worker", "--join", $"{SimulatedHosts.Address(0)}:{Port}", "--host", SimulatedHosts.Address(host), "--name", $"host-{host}", "--threads", "1", .. security]))).ToArray();
}
