/** Form field names shared by views and the routes that read them. */
export const TOKEN_FORM_FIELD = 'token'
