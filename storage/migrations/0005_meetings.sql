-- Reserved for the meetings issue (#5); filled in by that work.
SELECT 1;
