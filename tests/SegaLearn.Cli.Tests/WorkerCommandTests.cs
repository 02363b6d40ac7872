using System.Diagnostics;
using System.Globalization;
using System.Runtime.Versioning;

namespace SegaLearn.Cli.Tests;

public sealed class WorkerCommandTests
{
    [SkippableFact]
    [SupportedOSPlatform("linux")]
    public void Worker_should_run_every_thread_on_the_given_cpu_as_batch_work_when_started_with_cpus()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "CPU pinning per thread, SCHED_BATCH and their view in /proc/PID/task are Linux's");

        using var self = Process.GetCurrentProcess();
        var mask = (ulong)(long)self.ProcessorAffinity;
        var cpu = System.Numerics.BitOperations.TrailingZeroCount(mask).ToString(CultureInfo.InvariantCulture);
        using var dir = new TempDirectory();
        var allowed = new List<string>();
        var policies = new List<string>();

        // Nothing listens on the port: the worker waits a second for an offer, with its host (and threads) started.
        var result = SegaLearnProcess.Run(
            dir.Path,
            (line, process) =>
            {
                if (line.Contains("joining", StringComparison.Ordinal))
                {
                    // A thread's status names its CPUs; its sched file has a line "policy : N", and SCHED_BATCH is 3.
                    foreach (var task in Directory.GetDirectories($"/proc/{process.Id}/task"))
                    {
                        allowed.Add(Field(Path.Combine(task, "status"), "Cpus_allowed_list"));
                        policies.Add(Field(Path.Combine(task, "sched"), "policy"));
                    }
                }
            },
            "worker", "--join", "127.0.0.1:9", "--cpus", cpu, "--connect-timeout", "1", "--threads", "1");

        Assert.NotEqual(0, result.ExitCode);
        Assert.True(allowed.Count > 5, $"saw {allowed.Count} threads");
        Assert.All(allowed, list => Assert.Equal(cpu, list));
        Assert.All(policies, policy => Assert.Equal("3", policy));
    }

    [SkippableTheory]
    [InlineData(null, 5)]
    [InlineData("7", 7)]
    [InlineData("0", 0)]
    [SupportedOSPlatform("linux")]
    public void Worker_should_run_every_thread_at_the_nice_value_when_started_with_or_without_nice(string? nice, int expected)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "a nice value per thread and its view in /proc/PID/task are Linux's");

        // A worker never raises its priority: started nicer than asked, it stays as nice as it was.
        var floor = NiceOf("/proc/thread-self/stat");
        using var dir = new TempDirectory();
        var nices = new List<int>();
        string[] args = ["worker", "--join", "127.0.0.1:9", "--connect-timeout", "1", "--threads", "1", .. (nice is null ? [] : new[] { "--nice", nice })];

        var result = SegaLearnProcess.Run(
            dir.Path,
            (line, process) =>
            {
                if (line.Contains("joining", StringComparison.Ordinal))
                {
                    foreach (var task in Directory.GetDirectories($"/proc/{process.Id}/task"))
                    {
                        nices.Add(NiceOf(Path.Combine(task, "stat")));
                    }
                }
            },
            args);

        Assert.NotEqual(0, result.ExitCode);
        Assert.True(nices.Count > 5, $"saw {nices.Count} threads");
        Assert.All(nices, value => Assert.Equal(Math.Max(expected, floor), value));
    }

    /// <summary>Field 19 of a stat file, counted after the parenthesised name, which may hold spaces.</summary>
    private static int NiceOf(string statFile)
    {
        var stat = File.ReadAllText(statFile);
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[16], CultureInfo.InvariantCulture);
    }

    private static string Field(string file, string name) =>
        File.ReadLines(file).Select(line => line.Split(':', 2)).Single(parts => parts[0].Trim() == name)[1].Trim();
}
