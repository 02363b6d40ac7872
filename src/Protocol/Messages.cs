namespace SegaLearn.Protocol;

// The control messages between coordinator and workers, all in one file so the protocol reads in one place.
// They travel through Akka (in-process or over Akka.Remote) and stay small; parameters and gradients of remote
// workers travel on the data plane (DataPlane*.cs), those of in-process workers as shared buffers.

/// <summary>Marks a control message handled by <c>ProtocolSerializer</c>.</summary>
public interface IControlMessage;

/// <summary>Worker → coordinator, first contact: who the worker is and which protocol it speaks.</summary>
public sealed record WorkerHello(int ProtocolVersion, string WorkerName, int Threads) : IControlMessage;

/// <summary>
/// What the worker needs to reproduce the training set bit for bit: built-in name or file path, label column,
/// split seed, test and validation fractions, whether features are standardized, and the SHA-256 and size of the
/// canonical training-set blob, which the worker checks (or fetches in chunks from the coordinator when it cannot build it).
/// </summary>
public sealed record DataReference(
    string Spec,
    string? LabelColumn,
    ulong SplitSeed,
    double TestFraction,
    bool Standardize,
    string Sha256,
    long ByteLength,
    double ValidationFraction = 0) : IControlMessage;

/// <summary>
/// Coordinator → worker: the job. The per-job <see cref="Token"/> authenticates the worker's data-plane connection;
/// <see cref="DataPlanePort"/> is 0 for in-process workers, which share buffers instead. Workers on the coordinator's
/// machine map <see cref="SharedParameters"/> (a <c>SharedParameterFile</c>'s path; empty when there is none) to read
/// parameters without a copy each. Every worker computes on
/// <see cref="Backend"/>: backends round differently, and the bits must not depend on which worker took a block.
/// </summary>
public sealed record JobOffer(
    string JobId,
    string Token,
    int ProtocolVersion,
    string Layers,
    string Activations,
    string Loss,
    double DropoutRate,
    ulong Seed,
    int MicrobatchSize,
    string Backend,
    DataReference Data,
    int DataPlanePort,
    string SharedParameters = "",
    Training.WireFormat Wire = Training.WireFormat.Float32) : IControlMessage;

/// <summary>
/// Worker → coordinator: ready to work on the job, with the architecture hash it built and the
/// <c>IComputeBackend.NumericIdentity</c> of the backend it computes on, which must equal the coordinator's.
/// </summary>
public sealed record RegisterWorker(string JobId, string Token, int ProtocolVersion, string ArchitectureHash, string WorkerName, string NumericIdentity) : IControlMessage;

/// <summary>Coordinator → worker: registration accepted.</summary>
public sealed record WorkerAccepted(string JobId, int WorkerId) : IControlMessage;

/// <summary>Coordinator → worker: refused, with the reason logged on both sides.</summary>
public sealed record WorkerRefused(string Reason) : IControlMessage;

/// <summary>Worker → coordinator: the worker has room for <see cref="Credits"/> more assignments (credit-based pulling).</summary>
public sealed record RequestWork(string JobId, int Credits) : IControlMessage;

/// <summary>
/// Coordinator → worker: compute microbatches [<see cref="FirstMicrobatch"/>, +<see cref="MicrobatchCount"/>) of a step at
/// parameter version <see cref="ParameterVersion"/>. <see cref="Rows"/> are the data rows of those microbatches in batch
/// order, starting at batch position <see cref="FirstSample"/> (which keys the dropout masks). The block is an aligned
/// power-of-two run of microbatches, so the worker may pre-add it in the reduction tree's order.
/// </summary>
public sealed record AssignWork(
    string JobId,
    long ParameterVersion,
    int Epoch,
    int Step,
    int FirstMicrobatch,
    int MicrobatchCount,
    int FirstSample,
    int[] Rows) : IControlMessage;

/// <summary>Worker → coordinator: request for <see cref="Length"/> bytes of the training-set blob at <see cref="Offset"/>.</summary>
public sealed record DataChunkRequest(string JobId, string Token, long Offset, int Length) : IControlMessage;

/// <summary>Coordinator → worker: a chunk of the training-set blob.</summary>
public sealed record DataChunk(string JobId, long Offset, byte[] Bytes) : IControlMessage;

/// <summary>Coordinator → workers: the job is over; workers stop.</summary>
public sealed record JobFinished(string JobId) : IControlMessage;
