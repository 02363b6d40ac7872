namespace SegaLearn.Worker;

/// <summary>Why a worker stopped, as a process exit code (0: the job finished; 1: the coordinator was lost; 2: refused or never offered a job) and a line for the log.</summary>
public sealed record WorkerStopped(int ExitCode, string Reason)
{
    public const int Finished = 0;

    public const int CoordinatorLost = 1;

    public const int Refused = 2;
}
