using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace SegaLearn.Compute;

/// <summary>
/// A fixed set of helper threads, created once, that run the tasks of one <see cref="IParallelWork"/> together
/// with the calling thread; unlike Parallel.For, a run allocates nothing. Tasks are claimed one at a time from
/// a shared counter, so a helper that is late (the machine is shared, it may not be scheduled) simply finds
/// nothing left: the caller never waits for a helper that has not started a task, only for tasks in flight.
/// Helpers spin briefly between runs, because the kernels of a training step follow each other within
/// microseconds, then sleep. One run at a time: callers serialize.
/// </summary>
internal sealed class ComputeWorkers
{
    /// <summary>Low half of <see cref="_state"/> while a run is being set up: no task may be claimed.</summary>
    private const int Closed = int.MaxValue;

    private static readonly long SpinTicks = Stopwatch.Frequency / 10_000;

    private readonly object _sleep = new();
    private readonly int _helpers;

    /// <summary>The run's generation (high 32 bits) and its next unclaimed task (low 32 bits), changed atomically.</summary>
    private long _state = Closed;
    private IParallelWork? _work;
    private int _taskCount;
    private int _active;
    private int _sleepers;
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

    /// <summary>Runs tasks 0..<paramref name="taskCount"/>-1 once each; returns when every task has finished.</summary>
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

        var generation = unchecked(Generation(Volatile.Read(ref _state)) + 1);
        Interlocked.Exchange(ref _state, Pack(generation, Closed));
        _work = work;
        _taskCount = taskCount;
        _failure = null;
        Interlocked.Exchange(ref _state, Pack(generation, 0));
        if (Volatile.Read(ref _sleepers) > 0)
        {
            lock (_sleep)
            {
                Monitor.PulseAll(_sleep);
            }
        }

        Drain(generation);
        var spin = default(SpinWait);
        while (Volatile.Read(ref _active) != 0)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }

        _failure?.Throw();
    }

    private static long Pack(int generation, int next) => ((long)generation << 32) | (uint)next;

    private static int Generation(long state) => (int)(state >> 32);

    private static int Next(long state) => (int)(state & uint.MaxValue);

    private void Drain(int generation)
    {
        while (true)
        {
            var state = Volatile.Read(ref _state);
            if (Generation(state) != generation || Next(state) >= _taskCount)
            {
                return;
            }

            var work = _work!;
            if (Interlocked.CompareExchange(ref _state, state + 1, state) != state)
            {
                continue;
            }

            try
            {
                work.Run(Next(state));
            }
            catch (Exception e)
            {
                _failure ??= ExceptionDispatchInfo.Capture(e);
            }
        }
    }

    private bool HasNewRun(int seen, out int generation)
    {
        var state = Volatile.Read(ref _state);
        generation = Generation(state);
        return generation != seen && Next(state) != Closed;
    }

    private void Loop()
    {
        var seen = Generation(Volatile.Read(ref _state));
        while (true)
        {
            int generation;
            var until = Stopwatch.GetTimestamp() + SpinTicks;
            while (!HasNewRun(seen, out generation) && Stopwatch.GetTimestamp() < until)
            {
                Thread.SpinWait(8);
            }

            if (!HasNewRun(seen, out generation))
            {
                lock (_sleep)
                {
                    Interlocked.Increment(ref _sleepers);
                    while (!HasNewRun(seen, out generation))
                    {
                        Monitor.Wait(_sleep);
                    }

                    Interlocked.Decrement(ref _sleepers);
                }
            }

            seen = generation;
            Interlocked.Increment(ref _active);
            Drain(generation);
            Interlocked.Decrement(ref _active);
        }
    }
}
