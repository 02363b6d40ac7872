namespace SegaLearn.Compute;

/// <summary>Work cut into numbered tasks that may run on any thread, in any order, each exactly once.</summary>
internal interface IParallelWork
{
    void Run(int task);
}
