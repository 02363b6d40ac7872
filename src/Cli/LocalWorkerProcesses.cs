using System.Diagnostics;

namespace SegaLearn.Cli;

/// <summary>
/// <c>segalearn worker</c> child processes joined to a coordinator in this process. Disposing kills any still
/// running (a Ctrl+C or a failed run never leaves workers behind); workers that outlive a killed coordinator stop
/// by themselves when they see it gone.
/// </summary>
internal sealed class LocalWorkerProcesses : IDisposable
{
    private readonly List<Process> _processes = [];

    public LocalWorkerProcesses(string coordinatorAddress, int count, int threadsEach)
    {
        try
        {
            for (var i = 0; i < count; i++)
            {
                _processes.Add(Start(coordinatorAddress, $"local-{i + 1}", threadsEach));
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public IReadOnlyList<int> ProcessIds => _processes.Select(p => p.Id).ToArray();

    public void Dispose()
    {
        foreach (var process in _processes)
        {
            if (!process.WaitForExit(TimeSpan.FromSeconds(5)))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }

            process.Dispose();
        }

        _processes.Clear();
    }

    private static Process Start(string coordinatorAddress, string name, int threads)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find this program's path to start workers");
        var start = new ProcessStartInfo(self) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(typeof(LocalWorkerProcesses).Assembly.Location);
        }

        foreach (var arg in new[] { "worker", "--join", coordinatorAddress, "--name", name, "--threads", threads.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start) ?? throw new InvalidOperationException($"could not start worker process {name}");
    }
}
