namespace SegaLearn.Coordinator;

/// <summary>What the step ledger did with an offered block result.</summary>
public enum LedgerOutcome
{
    /// <summary>The first valid result for the block: kept for the reduction.</summary>
    Accepted,

    /// <summary>The block already has a result (a reassigned block answered twice): dropped.</summary>
    Duplicate,

    /// <summary>For another step or parameter version (a late reply): dropped.</summary>
    Stale,

    /// <summary>Wrong block, sample count or length, or NaN/Inf values: rejected, the block is to be recomputed elsewhere.</summary>
    Invalid,
}
