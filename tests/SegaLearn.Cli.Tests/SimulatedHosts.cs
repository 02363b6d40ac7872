using System.Diagnostics;
using System.Globalization;

namespace SegaLearn.Cli.Tests;

/// <summary>
/// Simulated machines for tests (deploy/hosts.sh): each host has its own network, mount and pid namespace, so its own
/// address, /dev/shm and /proc, and hosts reach each other only over shaped links. Needs root and namespaces:
/// <see cref="Unavailable"/> says why not, for the tests to skip with.
/// </summary>
internal sealed class SimulatedHosts : IDisposable
{
    private static int s_instances;

    private readonly string _tag;

    public SimulatedHosts(int count, string rate = "none")
    {
        _tag = string.Create(CultureInfo.InvariantCulture, $"t{Environment.ProcessId % 1000}{Interlocked.Increment(ref s_instances) % 100}");
        var up = Script("up", count.ToString(CultureInfo.InvariantCulture), rate);
        if (up.ExitCode != 0)
        {
            throw new InvalidOperationException($"hosts.sh up {count} {rate} failed: {up.Output}");
        }
    }

    /// <summary>Null where hosts can be made here, else the reason they cannot.</summary>
    public static string? Unavailable { get; } = Check();

    /// <summary>Host <paramref name="host"/>'s address on the test bed's network.</summary>
    public static string Address(int host) => string.Create(CultureInfo.InvariantCulture, $"10.231.{host / 250}.{host % 250 + 1}");

    /// <summary>Runs <c>segalearn</c> on host <paramref name="host"/> (see <see cref="SegaLearnProcess.Run(string, Action{string, Process}?, IReadOnlyList{string}, string[])"/>).</summary>
    public SegaLearnProcess.Result Run(int host, string workingDirectory, Action<string, Process>? onLine, params string[] args) =>
        SegaLearnProcess.Run(workingDirectory, onLine, ["env", $"HOSTS_TAG={_tag}", "bash", ScriptPath, "run", host.ToString(CultureInfo.InvariantCulture)], args);

    public void Dispose() => Script("down");

    private static string ScriptPath => Path.Combine(AppContext.BaseDirectory, "hosts.sh");

    private static string? Check()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "simulated hosts need Linux network, mount and pid namespaces";
        }

        var check = Run("sl", "check");
        return check.ExitCode == 0 ? null : check.Output.Trim();
    }

    private (int ExitCode, string Output) Script(params string[] args) => Run(_tag, args);

    private static (int ExitCode, string Output) Run(string tag, params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(ScriptPath);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["HOSTS_TAG"] = tag;
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.Result);
    }
}
