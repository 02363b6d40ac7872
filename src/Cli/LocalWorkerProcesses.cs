using System.Diagnostics;

namespace SegaLearn.Cli;

/// <summary>
/// <c>segalearn worker</c> child processes joined to a coordinator in this process. Disposing kills any still
/// running (a Ctrl+C or a failed run never leaves workers behind); workers that outlive a killed coordinator stop
/// by themselves when they see it gone, and a coordinator whose workers are all gone stops waiting for them.
/// <para>
/// When there are several workers and their threads fit on the cores this process may use, each worker is pinned to
/// cores of its own (<c>--cpus</c>, which also makes its threads batch work, see <see cref="CpuAffinity"/>; the
/// coordinator stays free to run anywhere). Unpinned, the scheduler sometimes
/// woke a worker on the core where another one computed and left it waiting for a time slice; on the 2-core W-DIST
/// run pinning raised N=2 from a median of about 75k to 84k samples/s (6 alternating runs each). A lone worker is
/// left free to move away from the coordinator's threads.
/// </para>
/// </summary>
internal sealed class LocalWorkerProcesses : IDisposable
{
    private readonly List<Process> _processes = [];
    private readonly Action<string> _onAllExited;
    private int _running;
    private volatile bool _disposing;

    /// <summary>Starts <paramref name="count"/> workers joining <paramref name="coordinatorAddress"/>; <paramref name="onAllExited"/> is called with a one-line reason if every one exits before this is disposed.</summary>
    public LocalWorkerProcesses(string coordinatorAddress, int count, int threadsEach, Action<string> onAllExited)
    {
        _onAllExited = onAllExited;
        _running = count;
        var cpus = CpuAffinity.Usable();
        var pin = count > 1 && count * threadsEach <= cpus.Count;
        try
        {
            for (var i = 0; i < count; i++)
            {
                var own = pin ? CpuAffinity.Format(cpus.Skip(i * threadsEach).Take(threadsEach)) : null;
                var process = Start(coordinatorAddress, $"local-{i + 1}", threadsEach, own);
                process.EnableRaisingEvents = true;
                process.Exited += OnExited;
                _processes.Add(process);
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
        _disposing = true;
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

    private void OnExited(object? sender, EventArgs e)
    {
        if (Interlocked.Decrement(ref _running) == 0 && !_disposing)
        {
            _onAllExited($"all {_processes.Count} worker processes exited before training finished (see their messages above)");
        }
    }

    private static Process Start(string coordinatorAddress, string name, int threads, string? cpus)
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

        if (cpus is not null)
        {
            start.ArgumentList.Add("--cpus");
            start.ArgumentList.Add(cpus);
        }

        return Process.Start(start) ?? throw new InvalidOperationException($"could not start worker process {name}");
    }
}
