namespace SegaLearn.Cli;

/// <summary>The command's exit codes.</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>Training could not go on (e.g. every worker process is gone); one line on stderr says why.</summary>
    public const int Failed = 1;

    /// <summary>Bad input: a file, option or value the user can fix; one line on stderr says which.</summary>
    public const int BadInput = 2;

    /// <summary>Interrupted with Ctrl+C; nothing half-written is left behind.</summary>
    public const int Interrupted = 130;
}
