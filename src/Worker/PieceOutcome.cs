namespace SegaLearn.Worker;

/// <summary>What a <see cref="ShardReducer"/> did with a piece.</summary>
public enum PieceOutcome
{
    /// <summary>Kept; more pieces are awaited.</summary>
    Accepted,

    /// <summary>Kept, and it was the last one: the shard can be summed.</summary>
    Complete,

    /// <summary>Kept for a plan that has not arrived yet.</summary>
    Early,

    /// <summary>Of an older step or attempt, or a block received already: dropped.</summary>
    Dropped,

    /// <summary>Holds a NaN or infinity: dropped, and its sender is to be reported.</summary>
    NotFinite,

    /// <summary>Does not fit the plan (unknown block, wrong offset or length): dropped, and its sender is to be reported.</summary>
    Malformed,
}
