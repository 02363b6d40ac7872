using System.Diagnostics;
using System.Globalization;

namespace SegaLearn.Cli.Tests;

/// <summary>SIGTERM, which kill, systemd and Kubernetes send to stop a process, ends a command as Ctrl+C does.</summary>
[Collection(nameof(DistributedTrainingTests))]
public sealed class SignalTests
{
    [SkippableFact]
    public void Coordinator_should_exit_130_without_writing_the_model_when_terminated_while_waiting_for_workers()
    {
        if (OperatingSystem.IsWindows())
            throw new SkipException("Windows has no SIGTERM; a service there is stopped by its control manager");
        using var dir = new TempDirectory();
        var sent = false;

        var result = SegaLearnProcess.Run(dir.Path, (line, process) =>
        {
            if (line.StartsWith("coordinator listening at", StringComparison.Ordinal))
            {
                using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]);
                kill.WaitForExit();
                sent = kill.ExitCode == 0;
            }
        }, "coordinator", "--port", FreePort.NextText(), "--min-workers", "2", "--epochs", "1", "--out", "model.safetensors");

        Assert.True(sent, result.Output + result.Error);
        Assert.Equal(130, result.ExitCode);
        Assert.Equal("interrupted: nothing was written", result.ErrorLines[^1]);
        Assert.False(File.Exists(dir.File("model.safetensors")));
    }
}
