namespace SegaLearn.Cli;

/// <summary>The command's exit codes.</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>Bad input: a file, option or value the user can fix; one line on stderr says which.</summary>
    public const int BadInput = 2;

    /// <summary>Interrupted with Ctrl+C; nothing half-written is left behind.</summary>
    public const int Interrupted = 130;
}
