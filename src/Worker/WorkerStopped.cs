namespace SegaLearn.Worker;

/// <summary>
/// Why a worker stopped, as a process exit code and a line for the log: 0 the job finished; 1 the coordinator was lost;
/// 2 refused (another model, protocol or numeric identity: starting again would only repeat it); 3 no job offered in
/// time (the coordinator not up yet, or unreachable: worth starting again, which is what a service manager does).
/// </summary>
public sealed record WorkerStopped(int ExitCode, string Reason)
{
    public const int Finished = 0;

    public const int CoordinatorLost = 1;

    public const int Refused = 2;

    public const int NoOffer = 3;
}
