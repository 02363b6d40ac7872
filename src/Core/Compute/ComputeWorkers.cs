using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace SegaLearn.Compute;

/// <summary>
/// A fixed set of helper threads, created once, that run the tasks of one <see cref="IParallelWork"/> together
/// with the calling thread and return when all are done (a fork and a barrier). Unlike Parallel.For, a run
/// allocates nothing. Helpers spin briefly between runs, because kernels of one training step follow each other
/// within microseconds, then block so that an idle backend costs no CPU. One run at a time: callers serialize.
/// </summary>
internal sealed class ComputeWorkers
{
    private static readonly long SpinTicks = Stopwatch.Frequency / 20_000;

    private readonly object _startGate = new();
    private readonly object _doneGate = new();
    private readonly int _helpers;
    private IParallelWork? _work;
    private int _taskCount;
    private int _nextTask;
    private int _running;
    private int _generation;
    private ExceptionDispatchInfo? _failure;

    public ComputeWorkers(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        _helpers = threads - 1;
        for (var i = 0; i < _helpers; i++)
        {
            new Thread(Loop) { IsBackground = true, Name = $"segalearn-simd-{i + 1}" }.Start();
        }
    }

    public int Threads => _helpers + 1;

    /// <summary>Runs tasks 0..<paramref name="taskCount"/>-1 on all threads; returns when every task has finished.</summary>
    public void Run(IParallelWork work, int taskCount)
    {
        if (_helpers == 0 || taskCount <= 1)
        {
            for (var t = 0; t < taskCount; t++)
            {
                work.Run(t);
            }

            return;
        }

        _work = work;
        _taskCount = taskCount;
        _nextTask = 0;
        _failure = null;
        Volatile.Write(ref _running, _helpers);
        lock (_startGate)
        {
            Interlocked.Increment(ref _generation);
            Monitor.PulseAll(_startGate);
        }

        Drain();
        WaitForHelpers();
        _work = null;
        _failure?.Throw();
    }

    private void Drain()
    {
        var work = _work!;
        try
        {
            int task;
            while ((task = Interlocked.Increment(ref _nextTask) - 1) < _taskCount)
            {
                work.Run(task);
            }
        }
        catch (Exception e)
        {
            _failure ??= ExceptionDispatchInfo.Capture(e);
            Volatile.Write(ref _nextTask, _taskCount);
        }
    }

    private void WaitForHelpers()
    {
        var until = Stopwatch.GetTimestamp() + SpinTicks;
        while (Volatile.Read(ref _running) != 0 && Stopwatch.GetTimestamp() < until)
        {
            Thread.SpinWait(8);
        }

        if (Volatile.Read(ref _running) == 0)
        {
            return;
        }

        lock (_doneGate)
        {
            while (Volatile.Read(ref _running) != 0)
            {
                Monitor.Wait(_doneGate);
            }
        }
    }

    private void Loop()
    {
        var seen = 0;
        while (true)
        {
            var until = Stopwatch.GetTimestamp() + SpinTicks;
            while (Volatile.Read(ref _generation) == seen && Stopwatch.GetTimestamp() < until)
            {
                Thread.SpinWait(8);
            }

            if (Volatile.Read(ref _generation) == seen)
            {
                lock (_startGate)
                {
                    while (Volatile.Read(ref _generation) == seen)
                    {
                        Monitor.Wait(_startGate);
                    }
                }
            }

            seen = Volatile.Read(ref _generation);
            Drain();
            if (Interlocked.Decrement(ref _running) == 0)
            {
                lock (_doneGate)
                {
                    Monitor.PulseAll(_doneGate);
                }
            }
        }
    }
}
