namespace SegaLearn;

/// <summary>
/// Raised for input a user can fix: a malformed file, an inconsistent option, a label out of range.
/// The message is one line that names the file, line, column or option concerned; the command line
/// turns it into exit code 2 without a stack trace.
/// </summary>
public sealed class BadInputException : Exception
{
    public BadInputException(string message)
        : base(message)
    {
    }

    public BadInputException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
