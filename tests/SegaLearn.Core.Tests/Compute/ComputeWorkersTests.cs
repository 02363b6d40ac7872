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
    public void Run_should_rethrow_a_task_failure_on_the_caller_when_the_other_tasks_are_done()
    {
        var workers = new ComputeWorkers(2);
        var work = new Counting(100, failAt: 42);
        var failure = Assert.Throws<InvalidOperationException>(() => workers.Run(work, 100));
        Assert.Equal("task 42", failure.Message);
        Assert.Equal(99, work.Runs.Count(count => count == 1));
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
