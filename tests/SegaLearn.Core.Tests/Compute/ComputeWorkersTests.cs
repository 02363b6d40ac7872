using SegaLearn.Compute;

namespace SegaLearn.Core.Tests.Compute;

public sealed class ComputeWorkersTests
{
    [Theory]
    [InlineData(1, 5)]
    [InlineData(2, 7)]
    [InlineData(3, 1000)]
    [InlineData(3, 70_003)]
    public void Run_should_run_every_task_exactly_once_when_helpers_take_ranges_and_steal(int threads, int tasks)
    {
        var workers = new ComputeWorkers(threads);
        var work = new Counting(tasks);
        for (var round = 0; round < 3; round++)
        {
            workers.Run(work, tasks);
        }

        Assert.All(work.Runs, count => Assert.Equal(3, count));
    }

    [Fact]
    public void Run_should_wake_the_helpers_when_they_were_sent_to_rest()
    {
        var workers = new ComputeWorkers(2);
        workers.Run(new Counting(10), 10);
        for (var round = 0; round < 5; round++)
        {
            workers.Rest();
            Assert.True(SpinWait.SpinUntil(() => workers.Sleepers == 1, TimeSpan.FromSeconds(30)), $"round {round}: the helper did not go to sleep after Rest");

            // Each task waits for a second thread to join in: only a woken helper lets the run finish in time.
            var work = new Rendezvous();
            workers.Run(work, 2);
            Assert.True(work.Met, $"round {round}: the helper did not take part after resting");
        }
    }

    [Fact]
    public void Run_should_rethrow_a_task_failure_on_the_caller_when_the_other_tasks_are_done()
    {
        var workers = new ComputeWorkers(2);
        var work = new Counting(100, failAt: 42);
        var failure = Assert.Throws<InvalidOperationException>(() => workers.Run(work, 100));
        Assert.Equal("task 42", failure.Message);
        Assert.Equal(99, work.Runs.Count(count => count == 1));
    }

    private sealed class Rendezvous : IParallelWork
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<int, bool> _threads = new();
        private int _arrived;

        /// <summary>Both tasks ran on different threads (a caller left alone runs both itself, one after the other).</summary>
        public bool Met => _threads.Count == 2;

        public void Run(int task)
        {
            _threads[Environment.CurrentManagedThreadId] = true;
            Interlocked.Increment(ref _arrived);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (Volatile.Read(ref _arrived) < 2 && DateTime.UtcNow < deadline)
            {
                Thread.Yield();
            }
        }
    }

    private sealed class Counting(int tasks, int failAt = -1) : IParallelWork
    {
        public int[] Runs { get; } = new int[tasks];

        public void Run(int task)
        {
            if (task == failAt)
            {
                throw new InvalidOperationException($"task {task}");
            }

            Interlocked.Increment(ref Runs[task]);
        }
    }
}
