using System.Diagnostics;
using System.Globalization;

namespace SegaLearn.Cli.Tests;

public sealed class WorkerCommandTests
{
    [Fact]
    public void Worker_should_run_every_thread_on_the_given_cpu_when_started_with_cpus()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Fail("the suite runs on Linux, where affinity is per thread and /proc shows it");
            return;
        }

        using var self = Process.GetCurrentProcess();
        var mask = (ulong)(long)self.ProcessorAffinity;
        var cpu = System.Numerics.BitOperations.TrailingZeroCount(mask).ToString(CultureInfo.InvariantCulture);
        using var dir = new TempDirectory();
        var allowed = new List<string>();

        // Nothing listens on the port: the worker waits a second for an offer, with its host (and threads) started.
        var result = SegaLearnProcess.Run(
            dir.Path,
            (line, process) =>
            {
                if (line.Contains("joining", StringComparison.Ordinal))
                {
                    allowed.AddRange(Directory.GetDirectories($"/proc/{process.Id}/task")
                        .Select(task => File.ReadLines(Path.Combine(task, "status")).Single(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal)))
                        .Select(l => l.Split(':')[1].Trim()));
                }
            },
            "worker", "--join", "127.0.0.1:9", "--cpus", cpu, "--connect-timeout", "1", "--threads", "1");

        Assert.NotEqual(0, result.ExitCode);
        Assert.True(allowed.Count > 5, $"saw {allowed.Count} threads");
        Assert.All(allowed, list => Assert.Equal(cpu, list));
    }
}
