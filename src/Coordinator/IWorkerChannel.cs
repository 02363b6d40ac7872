using SegaLearn.Training;

namespace SegaLearn.Coordinator;

/// <summary>
/// How a worker's blocks and parameters go out and its results come back, whatever carries them: Akka messages with
/// pool buffers for a worker in this process (<see cref="ActorWorkerChannel"/>), the data plane's TCP connection, with
/// shared memory where the worker is on this machine, for the others (<see cref="DataPlaneChannel"/>). Results arrive
/// as <see cref="ReceivedGradient"/> values, owned or lent, so the coordinator takes them the same way from any channel.
/// </summary>
public interface IWorkerChannel
{
    /// <summary>Whether the worker runs in this process: it has no cluster node of its own and no data-plane connection.</summary>
    bool InProcess { get; }

    /// <summary>
    /// Hands <paramref name="worker"/> <paramref name="block"/> of <paramref name="round"/>'s step, with the parameters of
    /// the step's version when the worker does not have them yet. First copies out what the worker lent this step, since
    /// its answer may overwrite it. A failed send is reported as the worker's loss, never thrown.
    /// </summary>
    void Assign(WorkerEntry worker, StepRound round, WorkBlock block);

    /// <summary>Drops the link to a worker that is gone or removed.</summary>
    void Close(WorkerEntry worker);
}
